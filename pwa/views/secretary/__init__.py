"""The secretary's and staff's pages, one blueprint ("secretary", /secretary): posts, custom
roles, buildings and grids, the audit trail, partner units.

Each module adds its routes to the one blueprint; importing them here puts every route in
place before the app registers it.
"""

from pwa.views.secretary import audit, buildings, partners, posts, roles
from pwa.views.secretary.blueprint import bp

__all__ = ["audit", "bp", "buildings", "partners", "posts", "roles"]
