"""Staff roles: agents work for one boutique, supervisors for all of them.

Groups and their permissions are created by migration `accounts.0002_staff_groups`.
"""

from accounts.models import Boutique, User

AGENTS = "Agents"
SUPERVISORS = "Supervisors"


def is_supervisor(user: User) -> bool:
    return user.is_active and (
        user.is_superuser or any(g.name == SUPERVISORS for g in user.groups.all())
    )


def is_agent(user: User) -> bool:
    return user.is_active and user.is_staff and user.boutique_id is not None


def boutique_scope(user: User) -> Boutique | None:
    """The boutique whose records `user` may see in the admin; None means all of them."""
    if is_supervisor(user):
        return None
    return user.boutique
