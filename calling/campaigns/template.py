"""The objective template of a campaign: "Remind {name} that invoice
{invoice} is overdue". Fields are plain names of the list's columns — no
attribute, index, conversion or format spec (a template is outside text and
must not reach into Python objects); ``{{`` and ``}}`` are literal braces."""
from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Mapping

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template that cannot be used; the message is fit for the user."""


@dataclass(frozen=True)
class Template:
    text: str
    parts: tuple[tuple[str, str | None], ...]  # (literal text, field name or None)

    @classmethod
    def parse(cls, text: str) -> "Template":
        text = " ".join((text or "").split())
        if not text:
            raise TemplateError("The objective template is empty: say what each call should achieve.")
        parts = []
        try:
            for literal, name, spec, conversion in _FORMATTER.parse(text):
                if name is not None:
                    field = name.strip()
                    if not field.isidentifier() or spec or conversion:
                        shown = ("{" + name + (f"!{conversion}" if conversion else "")
                                 + (f":{spec}" if spec else "") + "}")
                        raise TemplateError(f"{shown} in the objective template is not a plain column name "
                                            "such as {name} or {invoice}.")
                    parts.append((literal, field))
                else:
                    parts.append((literal, None))
        except ValueError as e:
            if isinstance(e, TemplateError):
                raise
            raise TemplateError(f"The objective template has an unmatched brace ({e}); write {{{{ or }}}} "
                                "for a literal brace.") from None
        return cls(text, tuple(parts))

    @property
    def fields(self) -> list[str]:
        seen: list[str] = []
        for _, name in self.parts:
            if name is not None and name not in seen:
                seen.append(name)
        return seen

    def fill(self, values: Mapping[str, str]) -> str:
        """The objective for one row (every field must be in ``values``)."""
        out = []
        for literal, name in self.parts:
            out.append(literal)
            if name is not None:
                out.append(values[name])
        return " ".join("".join(out).split())
