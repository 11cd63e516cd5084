"""The curator's admin: Django's autodiscovery imports this module, which registers
every admin the curator uses."""

from curator import device_admin, exhibit_admin  # noqa: F401  # they register themselves
