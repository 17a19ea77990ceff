"""The fixed vocabularies of the child archive, as stored codes with Chinese labels."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Gender(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


# The 56 recognised ethnic groups, coded as in GB/T 3304 (01 汉族 … 56 基诺族), plus 97/98.
ETHNICITIES: list[tuple[str, str]] = [
    (f"{i:02d}", name)
    for i, name in enumerate(
        [
            "汉族", "蒙古族", "回族", "藏族", "维吾尔族", "苗族", "彝族", "壮族", "布依族",
            "朝鲜族", "满族", "侗族", "瑶族", "白族", "土家族", "哈尼族", "哈萨克族", "傣族",
            "黎族", "傈僳族", "佤族", "畲族", "高山族", "拉祜族", "水族", "东乡族", "纳西族",
            "景颇族", "柯尔克孜族", "土族", "达斡尔族", "仫佬族", "羌族", "布朗族", "撒拉族",
            "毛南族", "仡佬族", "锡伯族", "阿昌族", "普米族", "塔吉克族", "怒族", "乌孜别克族",
            "俄罗斯族", "鄂温克族", "德昂族", "保安族", "裕固族", "京族", "塔塔尔族",
            "独龙族", "鄂伦春族", "赫哲族", "门巴族", "珞巴族", "基诺族",
        ],
        start=1,
    )
]  # fmt: skip
ETHNICITY_BY_NAME = {name: code for code, name in ETHNICITIES}
ETHNICITY_NAMES = dict(ETHNICITIES)


class Category(models.TextChoices):
    RURAL_LEFT_BEHIND = "rural_left_behind", _("Rural left-behind")
    URBAN_LEFT_BEHIND = "urban_left_behind", _("Urban left-behind")
    POVERTY = "poverty", _("In difficulty: poverty")
    DISABILITY_ILLNESS = "disability_illness", _("In difficulty: disability or serious illness")
    GUARDIANSHIP = "guardianship", _("In difficulty: lack of or improper guardianship")
    ORPHAN = "orphan", _("Orphan (scattered)")
    UNSUPPORTED = "unsupported", _("De facto unsupported")
    SINGLE_PARENT = "single_parent", _("Single-parent family")
    PRISONER_CHILD = "prisoner_child", _("Child of a prisoner")
    REHAB_CHILD = "rehab_child", _("Child of a person in drug rehabilitation")
    OTHER = "other", _("Other")


LEFT_BEHIND = frozenset({Category.RURAL_LEFT_BEHIND, Category.URBAN_LEFT_BEHIND})


class ParentRelation(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")


class ParentStatus(models.TextChoices):
    AT_HOME = "at_home", _("At home")
    WORKING_AWAY = "working_away", _("Working away")
    SEVERELY_DISABLED = "severely_disabled", _("Severely disabled")
    SERIOUSLY_ILL = "seriously_ill", _("Seriously ill")
    IMPRISONED = "imprisoned", _("Imprisoned")
    IN_REHAB = "in_rehab", _("In drug rehabilitation")
    MISSING = "missing", _("Missing")
    DECEASED = "deceased", _("Deceased")
    REVOKED = "revoked", _("Guardianship revoked")


# A parent in one of these states cannot guard the child (R10: "the other lacks capacity").
UNABLE_TO_GUARD = frozenset(
    {
        ParentStatus.SEVERELY_DISABLED,
        ParentStatus.SERIOUSLY_ILL,
        ParentStatus.IMPRISONED,
        ParentStatus.IN_REHAB,
        ParentStatus.MISSING,
        ParentStatus.DECEASED,
        ParentStatus.REVOKED,
    }
)


class GuardianType(models.TextChoices):
    PARENTS = "parents", _("Parents")
    ONE_PARENT = "one_parent", _("One parent")
    GRANDPARENTS = "grandparents", _("Grandparents (entrusted)")
    RELATIVES = "relatives", _("Other relatives (entrusted)")
    OTHER_PERSON = "other_person", _("Other person (entrusted)")
    INSTITUTION = "institution", _("Institution")
    NONE = "none", _("No guardian")


ENTRUSTED = frozenset(
    {GuardianType.GRANDPARENTS, GuardianType.RELATIVES, GuardianType.OTHER_PERSON}
)


class CarerCapacity(models.TextChoices):
    CAPABLE = "capable", _("Capable")
    LIMITED = "limited", _("Limited capacity")
    INCAPABLE = "incapable", _("Lacks capacity")
    NEGLECTFUL = "neglectful", _("Neglects the child")


class GuardianshipQuality(models.TextChoices):
    GOOD = "good", _("Good")
    FAIR = "fair", _("Fair")
    POOR = "poor", _("Poor")
    NONE = "none", _("No one guarding")


class Schooling(models.TextChoices):
    PRE_KINDERGARTEN = "pre_kindergarten", _("Not yet in kindergarten")
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior middle school")
    SENIOR = "senior", _("Senior middle school")
    VOCATIONAL = "vocational", _("Vocational school")
    DROPPED_OUT = "dropped_out", _("Dropped out")
    NOT_IN_SCHOOL = "not_in_school", _("Not in school")


class Health(models.TextChoices):
    HEALTHY = "healthy", _("Healthy")
    DISABLED = "disabled", _("Disabled")
    ILL = "ill", _("Ill")
    DISABLED_AND_ILL = "disabled_ill", _("Disabled and ill")


class DisabilityType(models.TextChoices):
    VISUAL = "visual", _("Visual")
    HEARING = "hearing", _("Hearing")
    SPEECH = "speech", _("Speech")
    PHYSICAL = "physical", _("Physical")
    INTELLECTUAL = "intellectual", _("Intellectual")
    MENTAL = "mental", _("Mental")
    MULTIPLE = "multiple", _("Multiple")


class DisabilityGrade(models.TextChoices):
    GRADE_1 = "1", _("Grade 1")
    GRADE_2 = "2", _("Grade 2")
    GRADE_3 = "3", _("Grade 3")
    GRADE_4 = "4", _("Grade 4")


class Status(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSED = "closed", _("Closed")


class CloseReason(models.TextChoices):
    AGED_OUT = "aged_out", _("Reached the age limit")
    MOVED_AWAY = "moved_away", _("Moved away")
    PARENTS_RETURNED = "parents_returned", _("Parents returned")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")
    # A second archive of the same child, merged into the surviving one (duplicates.merging):
    # kept closed as a tombstone pointing to the survivor.
    MERGED = "merged", _("Merged into another archive of the same child")


class AssistanceType(models.TextChoices):
    DIBAO = "dibao", _("Minimum living allowance (低保)")
    TEKUN = "tekun", _("Extreme-poverty support (特困供养)")
    TEMPORARY = "temporary", _("Temporary assistance")
    MEDICAL = "medical", _("Medical assistance")
    HOUSING = "housing", _("Housing assistance")
    ORPHAN_ALLOWANCE = "orphan_allowance", _("Orphan basic living allowance")
    UNSUPPORTED_ALLOWANCE = "unsupported_allowance", _("De facto unsupported child allowance")
    EDUCATION = "education", _("Education aid")
    REHABILITATION = "rehabilitation", _("Rehabilitation for disabled children")
    OTHER = "other", _("Other")


class AssistanceStatus(models.TextChoices):
    INFORMED = "informed", _("Told of it")
    APPLYING = "applying", _("Applying")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class ReferralOutcome(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted")
    COMPLETED = "completed", _("Completed")
    DECLINED = "declined", _("Declined")


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", _("Photo of the child")
    ENTRUSTMENT = "entrustment", _("Entrusted-guardianship confirmation")
    CERTIFICATE = "certificate", _("Certificate")
    OTHER = "other", _("Other document")


# Age limits (R10): left-behind care ends at 16, every category at 18.
LEFT_BEHIND_AGE_LIMIT = 16
ADULT_AGE = 18
