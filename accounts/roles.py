"""Staff roles: agents work for one boutique, supervisors for all of them.

Groups and their permissions are created by migration `accounts.0002_staff_groups`.
"""

from django.contrib.auth.models import AnonymousUser

from accounts.models import User

AGENTS = "Agents"
SUPERVISORS = "Supervisors"


def is_supervisor(user: User | AnonymousUser) -> bool:
    return user.is_active and (
        user.is_superuser or any(g.name == SUPERVISORS for g in user.groups.all())
    )
