"""The signed-in user's own preferences: GET and PATCH /api/v1/me/preferences/."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from users import preferences, services


class PreferencesSerializer(serializers.Serializer):
    language = serializers.ChoiceField(choices=preferences.language_choices(), allow_blank=True, required=False)
    time_zone = serializers.CharField(max_length=64, allow_blank=True, required=False)


class MyPreferencesView(APIView):
    permission_classes = [IsAuthenticated]
    serializer_class = PreferencesSerializer

    @extend_schema(responses=PreferencesSerializer, summary="Your language and time zone")
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(PreferencesSerializer({"language": user.language, "time_zone": user.time_zone}).data)

    @extend_schema(
        request=PreferencesSerializer, responses=PreferencesSerializer, summary="Change your language or time zone"
    )
    def patch(self, request: Request) -> Response:
        serializer = PreferencesSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = request.user
        values = {"language": user.language, "time_zone": user.time_zone, **serializer.validated_data}
        user = services.preferences_update(user=user, **values)
        return Response(PreferencesSerializer({"language": user.language, "time_zone": user.time_zone}).data)
