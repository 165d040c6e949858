from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from clients.models import Client, Contact
from core.api import ScopedRelationsMixin
from surveys.models import Survey, SurveyAnswer, SurveyInvitation, SurveyKind, SurveySchedule


class InvitationSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.__str__", read_only=True)

    class Meta:
        model = SurveyInvitation
        fields = ["id", "contact", "contact_name", "email", "sent_at", "reminders_sent", "reminded_at", "answered_at"]
        read_only_fields = fields


class SurveySerializer(serializers.ModelSerializer):
    invited = serializers.IntegerField(read_only=True)
    answered = serializers.IntegerField(read_only=True)
    response_rate = serializers.SerializerMethodField()
    invitations = InvitationSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = [
            "id", "client", "kind", "schedule", "sent_at", "closes_at", "closed_at", "created_by", "invited",
            "answered", "response_rate", "invitations",
        ]  # fmt: skip
        read_only_fields = fields

    def get_response_rate(self, survey) -> float | None:
        invited = getattr(survey, "invited", 0)
        return round(survey.answered / invited, 3) if invited else None


class SurveySendSerializer(ScopedRelationsMixin, serializers.Serializer):
    scoped_relations = {"client": "client_queryset", "contacts": "contact_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    kind = serializers.ChoiceField(choices=SurveyKind.choices)
    contacts = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), many=True)
    open_days = serializers.IntegerField(required=False, default=21, help_text=_("1 to 90 days."))


class SurveyAnswerSerializer(serializers.ModelSerializer):
    contact_name = serializers.CharField(source="contact.__str__", read_only=True)

    class Meta:
        model = SurveyAnswer
        fields = ["id", "survey", "client", "contact", "contact_name", "kind", "score", "comment", "answered_at",
                  "answered_on"]  # fmt: skip
        read_only_fields = fields


class SurveyScheduleSerializer(ScopedRelationsMixin, serializers.ModelSerializer):
    scoped_relations = {"client": "client_queryset", "contacts": "contact_queryset"}
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.none())
    contacts = serializers.PrimaryKeyRelatedField(queryset=Contact.objects.none(), many=True)

    class Meta:
        model = SurveySchedule
        fields = ["id", "client", "kind", "contacts", "every_months", "next_on", "is_active", "created_at"]
        read_only_fields = ["created_at"]
        validators = []  # one per client and kind: saving again replaces it (the service's update_or_create)


class KindResultSerializer(serializers.Serializer):
    score = serializers.FloatField(allow_null=True)
    answers = serializers.IntegerField()
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    invited = serializers.IntegerField()
    answered = serializers.IntegerField()
    response_rate = serializers.FloatField(source="rate", allow_null=True)


class ClientResultSerializer(serializers.Serializer):
    client = serializers.IntegerField(source="client.pk")
    client_name = serializers.CharField(source="client.name")
    nps = KindResultSerializer()
    csat = KindResultSerializer()
