"""Forms check shape; the services check meaning."""

from __future__ import annotations

from django import forms

from rma.models import RMA


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


class ConfirmForm(forms.Form):
    """An action that needs nothing but a confirmation."""


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


class ReplaceForm(forms.Form):
    replacement_serial = forms.CharField(
        max_length=64, help_text="A unit from stock, or a new serial of the failed unit's model."
    )


class ShipForm(forms.Form):
    tracking_number = forms.CharField(max_length=100)


class CloseForm(forms.Form):
    resolution = forms.ChoiceField(
        choices=[("", "Inferred from what happened"), *RMA.Resolution.choices], required=False
    )


class NoteForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Internal note")
    customer_message = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="Sent to the customer and shown online."
    )
