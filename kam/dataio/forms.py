"""Forms of the import and export pages (DATA-5)."""

from __future__ import annotations

from pathlib import Path

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

KIND_CHOICES = [
    ("accounts", _("Accounts")),
    ("contacts", _("Contacts")),
    ("transactions", _("Orders")),
    ("payments", _("Payments")),
]
UPLOAD_SUFFIXES = (".csv", ".xlsx")
ENCODING_CHOICES = [
    ("", _("Detect automatically")),
    ("utf-8", "UTF-8"),
    ("gb18030", "GBK / GB18030"),
]
FORMAT_CHOICES = [("csv", _("CSV (UTF-8, opens in Excel)")), ("xlsx", _("Excel workbook (.xlsx)"))]


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KIND_CHOICES)
    file = forms.FileField(
        label=_("File"),
        help_text=_("A .csv or .xlsx file whose first row names the columns."),
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(UPLOAD_SUFFIXES)}),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding of a CSV file"), choices=ENCODING_CHOICES, required=False
    )
    mapping = forms.CharField(
        label=_("Column mapping"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "客户全称 = name"}),
        help_text=_(
            "Only for headers KAM does not recognise: one per line, "
            "“column in your file = field name”."
        ),
    )

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        suffix = Path(upload.name or "").suffix.lower()
        if suffix not in UPLOAD_SUFFIXES:
            raise forms.ValidationError(
                _("“%(name)s” is not a .csv or .xlsx file."), params={"name": upload.name}
            )
        if (upload.size or 0) > settings.KAM_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s; files of at most %(limit)s can be imported."),
                params={
                    "size": filesizeformat(upload.size or 0),
                    "limit": filesizeformat(settings.KAM_UPLOAD_MAX_BYTES),
                },
            )
        return upload

    def clean_mapping(self) -> dict[str, str]:
        return parse_mapping(self.cleaned_data.get("mapping") or "")


def parse_mapping(text: str) -> dict[str, str]:
    """'column = field' lines into {column: field}; blank lines are skipped."""
    mapping: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        column, sep, target = line.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise forms.ValidationError(
                _("Line %(number)s: expected “column = field”, got “%(line)s”."),
                params={"number": number, "line": line.strip()},
            )
        mapping[column.strip()] = target.strip()
    return mapping


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to export"), choices=KIND_CHOICES)
    format = forms.ChoiceField(
        label=_("Format"), choices=FORMAT_CHOICES, widget=forms.RadioSelect, initial="xlsx"
    )
