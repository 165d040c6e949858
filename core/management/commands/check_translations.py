"""``manage.py check_translations``: exit 1 when a template shows text outside a translation tag or a
catalogue (ru, zh-hans) has untranslated or fuzzy entries; prints each place."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.i18n_audit import catalogue_gaps, untagged_text_in


class Command(BaseCommand):
    help = "List template text outside translation tags and untranslated or fuzzy catalogue entries."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--templates-only", action="store_true", help="Only scan the templates.")

    def handle(self, *args, templates_only: bool = False, **options) -> None:
        template_dirs = [Path(directory) for engine in settings.TEMPLATES for directory in engine.get("DIRS", [])]
        untagged = untagged_text_in(template_dirs)
        for item in untagged:
            self.stdout.write(f"{item.path}:{item.line}: {item.text}")
        gaps = []
        if not templates_only:
            for locale_dir in settings.LOCALE_PATHS:
                for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                    gaps.extend(catalogue_gaps(po_path))
        for gap in gaps:
            self.stdout.write(f"{gap.path}: {gap.reason}: {gap.msgid!r}")
        if untagged or gaps:
            raise CommandError(f"{len(untagged)} template texts outside translation tags, {len(gaps)} catalogue gaps.")
        self.stdout.write(self.style.SUCCESS("Every template string is tagged and every catalogue entry translated."))
