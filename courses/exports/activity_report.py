"""The PARS data as a MedBiquitous-style XML Activity Report: ``<ActivityReport>`` holding a
``<Provider>`` and one ``<Activity>`` per activity, with its fields and a ``<Participant>``
per physician learner. Built with ElementTree, so text and attributes are escaped; UTF-8;
dates ISO 8601."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from courses.exports.pars import ParsReport, number_text

# Characters XML 1.0 cannot carry at all, even escaped: dropped from the text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _add(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def _optional(parent: ET.Element, tag: str, text: str) -> None:
    """An element only when there is something to say (a learner without an NPI)."""
    if text:
        _add(parent, tag, text)


def activity_xml(report: ParsReport) -> bytes:
    """The report as an XML Activity Report (UTF-8): ``<Provider>``, then one ``<Activity>``
    per activity holding its fields and a ``<Participant>`` per physician learner. A field
    with no value (a learner's missing NPI) is left out rather than sent empty."""
    root = ET.Element(
        "ActivityReport",
        {
            "periodStart": report.period.since.isoformat() if report.period.since else "",
            "periodEnd": report.period.until.isoformat() if report.period.until else "",
            "generated": report.generated_at.isoformat().replace("+00:00", "Z"),
        },
    )
    provider = _add(root, "Provider")
    _add(provider, "Name", report.provider_name)
    _optional(provider, "AccmeProviderId", report.accme_provider_id)
    for a in report.activities:
        item = _add(root, "Activity", id=str(a.activity_id))
        _add(item, "ActivityID", str(a.activity_id))
        _add(item, "ActivityType", a.activity_type)
        _add(item, "Title", a.title)
        _add(item, "StartDate", a.start_date.isoformat())
        _add(item, "EndDate", a.end_date.isoformat())
        _add(item, "Location", a.location)
        _add(item, "HoursOfInstruction", number_text(a.hours))
        _add(
            item,
            "Credit",
            number_text(a.ama_designated),
            type="AMA PRA Category 1",
            kind="designated",
        )
        _add(item, "PhysicianLearners", str(a.physicians))
        _add(item, "OtherLearners", str(a.others))
        support = _add(item, "CommercialSupport", received="Yes" if a.commercial_support else "No")
        for name in a.supporters:
            _add(support, "Supporter", name)
        competencies = _add(item, "Competencies")
        for name in a.competencies:
            _add(competencies, "Competency", name)
        for r in a.learners:
            person = _add(item, "Participant")
            _add(person, "FirstName", r.first_name)
            _add(person, "LastName", r.last_name)
            _optional(person, "NPI", r.npi)
            _optional(person, "LicenseNumber", r.license_number)
            _optional(person, "LicenseState", r.license_state)
            _optional(person, "BirthMonth", number_text(r.birth_month))
            _optional(person, "BirthDay", number_text(r.birth_day))
            _add(person, "CompletionDate", r.completed_on.isoformat())
            _add(
                person, "Credit", number_text(r.credits), type="AMA PRA Category 1", kind="claimed"
            )
    ET.indent(root)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data
