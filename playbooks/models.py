"""Playbooks: a versioned list of timed steps, and the runs that work through them for one client.

Editing a playbook writes a new ``PlaybookVersion`` with its own steps; a run points at the version it started
with, so a change never rewrites work in progress. At most one live run per (client, playbook): a partial unique
constraint, not a hope.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Trigger(models.TextChoices):
    MANUAL = "manual", _("By hand")
    FLAG = "flag", _("When a flag of chosen rules opens")
    HANDOFF = "handoff", _("When a handoff is accepted (onboarding)")
    RENEWAL = "renewal", _("Days before a renewal")
    CHURN_RISK = "churn_risk", _("Churn risk: a flag of high severity opens (save plan)")


class StepKind(models.TextChoices):
    TASK = "task", _("Task")
    COMMITMENT = "commitment", _("Commitment to the client")
    EMAIL = "email", _("E-mail to a contact")
    CALL = "call", _("Call")
    WAIT = "wait", _("Wait")


# Steps that become a follow-up (and so appear on My day).
FOLLOWUP_KINDS = (StepKind.TASK, StepKind.COMMITMENT, StepKind.CALL)


class OwnerRole(models.TextChoices):
    AM = "am", _("The client's account manager")
    LEAD = "lead", _("The team lead")
    SALES = "sales", _("The sales owner")


class Anchor(models.TextChoices):
    START = "start", _("after the start")
    PREVIOUS = "previous", _("after the previous step")


class Playbook(models.Model):
    """What the playbook is for and when it starts; its steps live in versions."""

    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    team = models.ForeignKey(
        "users.Team",
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="playbooks",
        help_text=_("Blank: a global playbook (admins). Set: this team's playbook (its lead)."),
    )
    trigger = models.CharField(_("starts"), max_length=12, choices=Trigger.choices, default=Trigger.MANUAL)
    rules = models.ManyToManyField(
        "flags.TriggerRule",
        verbose_name=_("rules"),
        blank=True,
        related_name="playbooks",
        help_text=_("For 'when a flag opens': the rules whose flags start it."),
    )
    days_before_renewal = models.PositiveSmallIntegerField(_("days before the renewal"), default=90)
    resolves_flag = models.BooleanField(
        _("completing the last step resolves the flag"),
        default=True,
        help_text=_("When the run was started from a flag."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    current_version = models.PositiveIntegerField(_("current version"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)  # the optimistic lock of the editor

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")

    def __str__(self) -> str:
        return self.name


class PlaybookVersion(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["playbook", "-number"]
        constraints = [models.UniqueConstraint(fields=["playbook", "number"], name="one_playbook_version_number")]
        verbose_name = _("playbook version")
        verbose_name_plural = _("playbook versions")

    def __str__(self) -> str:
        return f"{self.playbook} v{self.number}"


class PlaybookStep(models.Model):
    version = models.ForeignKey(PlaybookVersion, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=12, choices=StepKind.choices, default=StepKind.TASK)
    title = models.CharField(_("title"), max_length=200)
    owner_role = models.CharField(_("owner"), max_length=6, choices=OwnerRole.choices, default=OwnerRole.AM)
    offset_days = models.PositiveSmallIntegerField(_("due after, days"), default=0)
    anchor = models.CharField(_("counted"), max_length=8, choices=Anchor.choices, default=Anchor.PREVIOUS)
    contact_role = models.CharField(_("to the contact who is"), max_length=20, blank=True)
    email_subject = models.CharField(_("e-mail subject"), max_length=200, blank=True)
    email_body = models.TextField(_("e-mail text"), blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [models.UniqueConstraint(fields=["version", "position"], name="one_step_per_position")]
        verbose_name = _("playbook step")
        verbose_name_plural = _("playbook steps")

    def __str__(self) -> str:
        return self.title


class RunStatus(models.TextChoices):
    ACTIVE = "active", _("In progress")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class PlaybookRun(models.Model):
    playbook = models.ForeignKey(Playbook, on_delete=models.PROTECT, related_name="runs")
    playbook_version = models.ForeignKey(PlaybookVersion, on_delete=models.PROTECT, related_name="runs")
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="playbook_runs")
    flag = models.ForeignKey(
        "flags.Flag", null=True, blank=True, on_delete=models.SET_NULL, related_name="playbook_runs"
    )
    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.ACTIVE)
    started_because = models.CharField(_("started"), max_length=12, choices=Trigger.choices)
    # What started it ("flag:12", "renewal:2027-03-01"): the same cause never starts the playbook twice.
    cause = models.CharField(max_length=60, blank=True)
    started_on = models.DateField(_("started on"))
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluation_run = models.ForeignKey(
        "flags.EvaluationRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="playbook_runs"
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    cancel_reason = models.TextField(_("why it was cancelled"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "playbook"], condition=Q(status="active"), name="one_live_run_per_client_playbook"
            ),
        ]
        indexes = [
            models.Index(fields=["client", "status"], name="playbookrun_client_status"),
            models.Index(fields=["playbook", "client", "cause"], name="playbookrun_cause"),
        ]
        verbose_name = _("playbook run")
        verbose_name_plural = _("playbook runs")

    def __str__(self) -> str:
        return f"{self.playbook} · {self.client}"


class StepStatus(models.TextChoices):
    PENDING = "pending", _("Not yet")
    ACTIVE = "active", _("To do")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


CLOSED_STEP_STATUSES = (StepStatus.DONE, StepStatus.SKIPPED)


class RunStep(models.Model):
    """One step of one run: a follow-up for tasks, commitments and calls; a draft for an e-mail; a date for a wait."""

    run = models.ForeignKey(PlaybookRun, on_delete=models.CASCADE, related_name="steps")
    step = models.ForeignKey(PlaybookStep, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()
    status = models.CharField(_("status"), max_length=8, choices=StepStatus.choices, default=StepStatus.PENDING)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="playbook_steps"
    )
    due_date = models.DateField(_("due"), null=True, blank=True)
    followup = models.OneToOneField(
        "interactions.FollowUp", null=True, blank=True, on_delete=models.SET_NULL, related_name="playbook_step"
    )
    draft_to = models.CharField(_("to"), max_length=254, blank=True)
    draft_subject = models.CharField(_("subject"), max_length=300, blank=True)
    draft_body = models.TextField(_("text"), blank=True)
    outbox_key = models.CharField(max_length=200, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    skip_reason = models.TextField(_("why it was skipped"), blank=True)
    due_announced_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["run", "position"]
        constraints = [models.UniqueConstraint(fields=["run", "position"], name="one_run_step_per_position")]
        indexes = [models.Index(fields=["status", "due_date"], name="runstep_status_due")]
        verbose_name = _("run step")
        verbose_name_plural = _("run steps")

    def __str__(self) -> str:
        return f"{self.run} #{self.position}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STEP_STATUSES
