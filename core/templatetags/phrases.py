"""Template side of core.phrases: ``{% load phrases %}`` then ``{{ item.said|phrase:item.evidence }}`` writes a
stored phrase in the reader's language, or shows the stored text when there is no phrase."""

from django import template

from core.phrases import render

register = template.Library()


@register.filter
def phrase(said, fallback: str = "") -> str:
    return render(said, fallback=fallback or "")
