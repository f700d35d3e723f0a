"""The service's HTTP routes, one router per resource, over one :class:`~.context.AppState`."""
