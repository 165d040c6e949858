"""REST endpoints of the reviews app; ``register`` adds them to the project's router."""


def register(router) -> None:
    """Called by accounts_crm/api_urls.py."""
