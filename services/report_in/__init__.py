"""双报到: partner units and in-service party members reporting in to the community."""
