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


def request_bodies_required(result, generator, request, public):
    """drf-spectacular's postprocessing hook: every write of this API needs its body."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation["requestBody"]["required"] = True
    return result
