from django import template
from django.utils.html import format_html

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """The current query string with some parameters replaced (pagination, sorting)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.simple_tag(takes_context=True)
def sort_link(context, field: str, label: str):
    """A column header that sorts by ``field``, toggling direction; shows the current direction."""
    current = context["request"].GET.get("ordering", "")
    descending = current == field
    target = f"-{field}" if descending else field
    arrow = " ▲" if current == field else (" ▼" if current == f"-{field}" else "")
    query = context["request"].GET.copy()
    query["ordering"] = target
    query.pop("page", None)
    return format_html('<a class="sort-link" href="?{}">{}{}</a>', query.urlencode(), label, arrow)


@register.filter
def readiness_icon(level: str) -> str:
    return {
        "ready": "bi-check-circle-fill",
        "needs_review": "bi-exclamation-circle-fill",
        "blocked": "bi-x-octagon-fill",
    }.get(level, "bi-question-circle")


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (None when absent)."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def tel(value: str | None) -> str:
    """'+49 (30) 123 45' -> 'tel:+493012345', for tap-to-call links."""
    from core.search import tel_href

    return tel_href(value)
