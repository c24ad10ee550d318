"""Views: one module per feature; `pwa.features` registers their blueprints."""
