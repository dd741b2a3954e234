"""The reference lists (specialties, organizations) for clients to offer as choices."""

from __future__ import annotations

from shared import reference, subjects
from shared.contracts.base import Empty
from shared.contracts.mentoring import OrganizationItem, ReferenceLists, SpecialtyItem
from shared.service import Context, Registry

registry = Registry()


@registry.endpoint(subjects.REFERENCE_LISTS, Empty)
async def reference_lists(ctx: Context, req: Empty) -> ReferenceLists:
    return ReferenceLists(
        specialties=[
            SpecialtyItem.model_validate({"name": s.name, "level": s.level, "aliases": list(s.aliases)})
            for s in reference.specialties()
        ],
        organizations=[OrganizationItem(code=o.code, name=o.name, url=o.url) for o in reference.organizations()],
    )
