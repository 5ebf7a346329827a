"""The import and export pages (DATA-5). The engine does the work; these pages only take
the file, call it and show its report."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from kam.core.models import User
from kam.core.views import (
    AuthedRequest,
    export_response,
    form_data,
    login_required,
    require_write,
)
from kam.dataio.engine import ImportReport, import_file
from kam.dataio.export import visible_rows
from kam.dataio.forms import KIND_CHOICES, ExportForm, ImportForm
from kam.dataio.kinds import get_kind

PROBLEMS_SHOWN = 500


@login_required
def import_page(request: AuthedRequest) -> HttpResponse:
    require_write(request)
    form = ImportForm(form_data(request), request.FILES or None)
    report = None
    if form.is_bound and form.is_valid():
        dry_run = request.POST.get("action") != "import"
        report = run_import(form.cleaned_data, actor=request.user, dry_run=dry_run)
        if report.ok and not dry_run:
            messages.success(request, _("Imported: %(summary)s") % {"summary": report.summary()})
    context = {
        "form": form,
        "report": report,
        "problems": report.problems[:PROBLEMS_SHOWN] if report else [],
        "problems_hidden": max(len(report.problems) - PROBLEMS_SHOWN, 0) if report else 0,
        "columns": column_help(),
    }
    return render(request, "dataio/import.html", context)


def run_import(data: dict[str, Any], *, actor: User, dry_run: bool) -> ImportReport:
    """Import the upload from a private temporary copy; the copy is removed afterwards."""
    upload: UploadedFile = data["file"]
    name = upload.name or "upload"
    with tempfile.TemporaryDirectory(prefix="kam-import-") as folder:
        path = Path(folder) / f"upload{Path(name).suffix.lower()}"
        with path.open("wb") as copy:
            for chunk in upload.chunks():
                copy.write(chunk)
        return import_file(
            data["kind"],
            path,
            actor=actor,
            mapping=data.get("mapping") or {},
            encoding=data.get("encoding") or None,
            dry_run=dry_run,
            display_name=name,
        )


def column_help() -> list[tuple[str, list[tuple[str, bool, str]]]]:
    """For each kind: (label, [(field, required, other accepted headers)])."""
    return [
        (
            str(label),
            [(f.name, f.required, ", ".join(f.aliases)) for f in get_kind(kind).fields],
        )
        for kind, label in KIND_CHOICES
    ]


@login_required
def export_page(request: AuthedRequest) -> HttpResponse:
    form = ExportForm(request.GET or None)
    if form.is_bound and form.is_valid():
        kind = form.cleaned_data["kind"]
        rows = visible_rows(kind, request.user)
        return export_response(kind, rows, form.cleaned_data["format"], kind)
    return render(request, "dataio/export.html", {"form": form})
