import datetime

from regionhub.inspections import services
from regionhub.inspections.models import Grade, Inspection

D = datetime.date
G, RI, OUT, INAD = Grade.GOOD, Grade.REQUIRES_IMPROVEMENT, Grade.OUTSTANDING, Grade.INADEQUATE
ALL_GOOD_2023 = {"overall": G, "help_protection": G, "in_care": G, "care_leavers": G, "leaders": G}
ALL_GOOD_2018 = {"overall": G, "help_protection": G, "in_care_and_leavers": G, "leaders": G}


def record(
    actor,
    authority,
    *,
    start,
    published,
    judgements,
    type=Inspection.Type.ILACS_STANDARD,
    end=None,
    **extra,
):
    return services.inspection_create(
        actor=actor,
        data={
            "authority": authority,
            "type": type,
            "start": start,
            "end": end or start + datetime.timedelta(days=11),
            "published": published,
            **extra,
        },
        judgements=judgements,
    )
