"""The shape every modal form shares: Enter in a field or the OK button
submits, the other button or Escape closes with nothing."""
from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

from textual.screen import ModalScreen
from textual.widgets import Button, Input

from tui.bindings import MODAL_BINDINGS

R = TypeVar("R")


class FormScreen(ModalScreen[R], Generic[R]):
    BINDINGS = MODAL_BINDINGS
    OK_BUTTON: ClassVar[str]  # the id of the button that submits

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == self.OK_BUTTON:
            self.submit()
        else:
            self.dismiss(None)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.submit()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def submit(self) -> None:
        raise NotImplementedError
