"""Forms check shape; the services check meaning."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from core.dates import date_in_range
from core.exceptions import InvalidInput
from rma.models import RMA, Device, QuoteAnswerChannel, Refund
from rma.normalise import normalise_serial


class RMACreateForm(forms.Form):
    serial_number = forms.CharField(max_length=64)
    customer_email = forms.EmailField(label="Customer e-mail")
    customer_name = forms.CharField(max_length=200, required=False)
    phone = forms.CharField(max_length=40, required=False)
    fault_description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}))
    channel = forms.ChoiceField(
        choices=[(value, label) for value, label in RMA.Channel.choices if value != RMA.Channel.IMPORT],
        initial=RMA.Channel.PHONE,
    )


class AuthorizeForm(forms.Form):
    instructions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shipping instructions added to the customer's message.",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="The customer will read this.")


class CancelForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReceiveForm(forms.Form):
    inbound_tracking = forms.CharField(max_length=100, required=False, label="Inbound tracking number")


class QuoteForm(forms.Form):
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0.01)


class StaffQuoteAnswerForm(forms.Form):
    """A customer's answer to a quote, recorded by staff: how it was given."""

    answered_via = forms.ChoiceField(
        label="The customer answered",
        choices=[(value, label) for value, label in QuoteAnswerChannel.choices if value != QuoteAnswerChannel.PAGE],
    )


class RefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=10, decimal_places=2, min_value=0.01)
    currency = forms.CharField(max_length=3, initial="EUR", help_text="ISO 4217 code, e.g. EUR.")
    method = forms.ChoiceField(choices=Refund.Method.choices)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), help_text="Why a refund (kept on the timeline).")


class StockSerialInput(forms.TextInput):
    """A serial typed or picked from the in-stock units of the right model, offered as you type."""

    class Media:
        js = ["js/stock_picker.js"]

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        field = super().render(name, value, attrs, renderer)
        return format_html('{}<datalist id="{}"></datalist>', field, self.attrs["list"])


class StockPickerForm(forms.Form):
    """A form whose ``replacement_serial`` offers in-stock units; the admin passes ``stock_url`` (JSON, by model)."""

    stock_field = "replacement_serial"

    def __init__(self, *args: Any, stock_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if stock_url:
            field = self.fields[self.stock_field]
            field.widget = StockSerialInput(
                attrs={"data-stock-url": stock_url, "list": f"{self.stock_field}-stock", "autocomplete": "off"}
            )


class ReplaceForm(StockPickerForm):
    replacement_serial = forms.CharField(
        max_length=64, help_text="A unit from stock (offered as you type), or a new serial of the failed unit's model."
    )


class AssignForm(forms.Form):
    """Whom to give the return to: the staff of its centre (``centre_staff``), or nobody."""

    assignee = forms.ModelChoiceField(
        queryset=get_user_model().objects.none(), required=False, empty_label="— nobody —", to_field_name="username"
    )

    def __init__(self, *args: Any, staff: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = staff if staff is not None else users


class ReceiveScanForm(forms.Form):
    number = forms.CharField(
        max_length=40,
        label="RMA number",
        help_text="Scan the QR code on the parcel's label, or type the number.",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "inputmode": "text"}),
    )
    inbound_tracking = forms.CharField(max_length=100, required=False, label="Inbound tracking (optional)")

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip().upper()


class ShipForm(forms.Form):
    tracking_number = forms.CharField(max_length=100)


class OwnershipNoteForm(forms.Form):
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Internal note",
        help_text="What you checked (kept on the timeline, not shown to the customer).",
    )


class CloseForm(forms.Form):
    resolution = forms.ChoiceField(
        choices=[("", "Derived from what happened"), *RMA.Resolution.choices],
        required=False,
        help_text="A resolution that contradicts what happened is refused.",
    )


class NoteForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Internal note")
    customer_message = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Sent to the customer and shown online."
    )


# The customers' pages -----------------------------------------------------------------------------


class ReturnStartForm(forms.Form):
    serial_number = forms.CharField(
        label=_("Serial number"),
        max_length=64,
        help_text=_("Printed on the label on the back of the device or its box, and shown in Settings › About."),
        error_messages={"required": _("Please enter your device's serial number.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=200,
        error_messages={"required": _("Please tell us your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send your return number and updates here."),
        error_messages={
            "required": _("Please enter your e-mail address."),
            "invalid": _("Please enter an e-mail address like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    fault_description = forms.CharField(
        label=_("What went wrong?"),
        max_length=4000,
        help_text=_("What happens, since when, and anything that seems to trigger it."),
        error_messages={"required": _("Please describe the fault, even in a few words.")},
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    # A one-time id from the page that showed the form: submitting twice opens one return.
    submission_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)


class ReturnLookupForm(forms.Form):
    rma_number = forms.CharField(
        label=_("Return number"),
        max_length=20,
        help_text=_("It starts with RMA‑, for example RMA‑7KQ2M9XD. It is in our e-mails to you."),
        error_messages={"required": _("Please enter your return number.")},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}),
    )
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("The one you gave when you started the return."),
        error_messages={
            "required": _("Please enter your e-mail address."),
            "invalid": _("Please enter an e-mail address like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class ProofOfPurchaseForm(forms.Form):
    file = forms.FileField(
        label=_("Your proof of purchase"),
        max_length=255,
        help_text=_("A photo (JPEG or PNG) or a PDF of the receipt or invoice, up to 10 MB."),
        error_messages={
            "required": _("Please choose the file of your receipt or invoice."),
            "empty": _("The file is empty."),
            "invalid": _("Please choose the file of your receipt or invoice."),
            "max_length": _("Please give the file a shorter name."),
        },
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"}),
    )


class FollowUpAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("working", _("Working")), ("still_failing", _("Still failing"))])
    description = forms.CharField(
        label=_("What is happening now? (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class QuoteAnswerForm(forms.Form):
    answer = forms.ChoiceField(choices=[("accept", _("Accept")), ("decline", _("Decline"))])


class CompensationForm(forms.Form):
    kind = forms.ChoiceField(
        choices=[
            ("extended_warranty", "Extended warranty"),
            ("service_credit", "Service credit"),
            ("none", "No compensation"),
        ]
    )
    months = forms.IntegerField(
        min_value=0, max_value=24, required=False, initial=0, help_text="For an extended warranty."
    )
    amount = forms.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, help_text="For a service credit."
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="Why this compensation (kept on the timeline)."
    )


class DeviceAdminForm(forms.ModelForm):
    """A device as staff type it: the serial as the services store it (``rma.normalise``), days in range."""

    DAYS = ("manufactured_on", "shipped_on", "purchased_on")

    class Meta:
        model = Device
        fields = [
            "serial_number",
            "product_model",
            "lot",
            "manufactured_on",
            "shipped_on",
            "firmware_version",
            "owner",
            "purchased_on",
            "warranty_extension_months",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in self.DAYS:
            if name in self.fields:
                self.fields[name].validators.append(date_in_range)

    def clean_serial_number(self) -> str:
        try:
            return normalise_serial(self.cleaned_data["serial_number"])
        except InvalidInput as error:
            raise forms.ValidationError(error.message, code=error.code) from None
