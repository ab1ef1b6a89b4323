"""How the OpenAPI document describes the keys (drf-spectacular finds this by its class)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.access.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A registered system's API key: `Authorization: Bearer tnp_...`.",
        }
