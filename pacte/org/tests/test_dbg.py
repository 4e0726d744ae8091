import datetime, pytest
from pacte.org import services, structure
pytestmark = pytest.mark.django_db
def test_dbg(cast):
    services.update_unit(unit=cast.other_team, actor=None, parent=cast.team, effective=datetime.date(2024,6,1))
    snap = structure.snapshot(cast.workspace, datetime.date(2024,6,1))
    print(snap.unit_name, snap.org.unit_parent, snap.org.unit_lead, snap.member_name, snap.org.person_unit)
    print(structure.tree_on(cast.workspace, datetime.date(2024,6,1)))
    assert 0
