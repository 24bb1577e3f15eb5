"""Flask-AppBuilder's own labels that officers meet every day, in our catalogs.

Flask-AppBuilder ships no Malay catalog, so its built-in labels (the login
form, the user menu, the buttons of every list and form) would show in
English on a Malay screen. Listing their English text here puts them in the
project's catalogs, where ``ms`` gives them Malay and ``en`` keeps them as
they are; flask-babel reads our catalogs after Flask-AppBuilder's, so ours
decide. Nothing imports this module: it is read by the extraction only.

TODO(i18n): only the labels of the login page, the user menu and the list,
show and form widgets are here; the security screens (users, roles,
permissions) and the rarer widgets still show Flask-AppBuilder's English.
"""

from __future__ import annotations

from portal.i18n import N_

FAB_LABELS = (
    # Login page and user menu.
    N_("Sign In"),
    N_("Enter your login and password below"),
    N_("Username"),
    N_("User Name"),
    N_("Password"),
    N_("Login"),
    N_("Logout"),
    N_("Profile"),
    N_("Invalid login. Please try again."),
    # Lists, records and forms.
    N_("Search"),
    N_("Add Filter"),
    N_("Actions"),
    N_("Add"),
    N_("Add a new record"),
    N_("Edit"),
    N_("Edit record"),
    N_("Delete"),
    N_("Delete record"),
    N_("Are you sure you want to delete this item?"),
    N_("Show"),
    N_("Show record"),
    N_("Back"),
    N_("Save"),
    N_("Record Count"),
    N_("Order by"),
    N_("Page size"),
    N_("No records found"),
)
