"""SMS templates with named variables.

A template is plain text with ``{name}`` placeholders, for example::

    {agency} moi Ong/Ba danh gia dich vu: {link} (han {deadline}). Tu choi: soan TU CHOI

Literal braces are written ``{{`` and ``}}``. Rendering checks that every placeholder gets a
value and that no value is left unused (an unused value is usually a misspelt name), optionally
strips Vietnamese diacritics so the invitation fits GSM-7, and reports the encoding and the
number of SMS it will cost.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field

from survey.sms.encoding import SmsEncoding, count_segments, strip_diacritics

__all__ = ["RenderedSms", "SmsTemplate", "TemplateError"]

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template or its values are unusable; ``loc`` names the offending part."""

    def __init__(self, message: str, *, loc: tuple[str, ...]) -> None:
        super().__init__(message)
        self.loc = loc


@dataclass(frozen=True)
class RenderedSms:
    """A rendered message and what it costs to send.

    Attributes
    ----------
    text
        The final text, after substitution and optional diacritic removal.
    encoding
        GSM-7 or UCS-2 (see :mod:`survey.sms.encoding`).
    segments
        Number of SMS the operator bills for ``text``.
    units
        Septets (GSM-7) or UTF-16 code units (UCS-2) in ``text``.
    """

    text: str
    encoding: SmsEncoding
    segments: int
    units: int


def _parse_variables(body: str) -> tuple[str, ...]:
    try:
        parsed = list(_FORMATTER.parse(body))
    except ValueError as error:
        raise TemplateError(
            f"template is malformed ({error}); write a literal brace as '{{{{' or '}}}}'",
            loc=("body",),
        ) from error
    names: list[str] = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier():
            raise TemplateError(
                f"placeholder {{{name}}} is not a plain name; use names like {{agency}}",
                loc=("body", name),
            )
        if spec or conversion:
            raise TemplateError(
                f"placeholder {{{name}}} has a format or conversion; format the value before "
                "rendering and write just {" + name + "}",
                loc=("body", name),
            )
        if name not in names:
            names.append(name)
    return tuple(names)


@dataclass(frozen=True)
class SmsTemplate:
    """A message template with named variables.

    Parameters
    ----------
    body
        Text with ``{name}`` placeholders (Python :meth:`str.format` syntax restricted to plain
        names).
    strip_diacritics
        Remove Vietnamese diacritics from the rendered text (values included), so that the
        message is sent in GSM-7: 160 characters per SMS instead of 70.
    max_segments
        Refuse to render a message longer than this many SMS (``None``: no limit).

    Raises
    ------
    TemplateError
        When the body has unbalanced braces, positional ``{}`` or attribute/format placeholders.
    """

    body: str
    strip_diacritics: bool = False
    max_segments: int | None = None
    variables: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "variables", _parse_variables(self.body))
        if self.max_segments is not None and self.max_segments < 1:
            raise TemplateError(
                f"max_segments must be at least 1, got {self.max_segments}",
                loc=("max_segments",),
            )

    def render(self, values: Mapping[str, object]) -> RenderedSms:
        """Substitute ``values`` and measure the result.

        Parameters
        ----------
        values
            One value per placeholder; values are converted with :class:`str`.

        Returns
        -------
        RenderedSms
            Text, encoding and segment count (:func:`survey.sms.encoding.count_segments`).

        Raises
        ------
        TemplateError
            When a placeholder has no value, a value matches no placeholder, or the message
            exceeds ``max_segments``.
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            raise TemplateError(
                f"missing value for {', '.join('{' + n + '}' for n in missing)}; "
                f"this template needs {', '.join(self.variables) or 'no variables'}",
                loc=("values", missing[0]),
            )
        unknown = [name for name in values if name not in self.variables]
        if unknown:
            raise TemplateError(
                f"unknown variable {', '.join(repr(n) for n in unknown)}; "
                f"this template uses only {', '.join(self.variables) or 'no variables'}",
                loc=("values", unknown[0]),
            )
        text = self.body.format_map({name: str(values[name]) for name in self.variables})
        if self.strip_diacritics:
            text = strip_diacritics(text)
        count = count_segments(text)
        if self.max_segments is not None and count.segments > self.max_segments:
            raise TemplateError(
                f"message needs {count.segments} SMS ({count.units} {count.encoding.value} "
                f"units) but at most {self.max_segments} are allowed; shorten the text or "
                "the values, or enable strip_diacritics",
                loc=("body",),
            )
        return RenderedSms(
            text=text, encoding=count.encoding, segments=count.segments, units=count.units
        )
