"""The curator's admin: Django's autodiscovery imports this module, which registers
every admin the curator uses and makes the console the site's front page."""

from django.contrib import admin

from curator import device_admin, exhibit_admin, hours_admin, sheet_admin  # noqa: F401
from curator.console import install_console

install_console(admin.site)
