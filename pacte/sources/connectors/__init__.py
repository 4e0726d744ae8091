"""Connectors to remote systems; the interface is in ``base``, the registry is
``base.CONNECTORS``."""
