import os

from django.core.wsgi import get_wsgi_application

from pacte.startup import freeze_startup

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacte.settings")
application = get_wsgi_application()
freeze_startup()
