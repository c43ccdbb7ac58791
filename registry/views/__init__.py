"""Web screens of the registry, one module per area; each module keeps its own ``urlpatterns``."""
