"""The shapes of the reports' JSON answers (``diagnostics.reports``), for the schema and the clients made from it.

Each report answers ``report``, ``filters``, ``columns`` and its ``rows``, and adds its own totals. The
views answer ``Report.as_dict()`` as it is; the tests check that it has exactly these fields.
"""

from __future__ import annotations

from rest_framework import serializers

from diagnostics.models import FaultSignal


class ReportFiltersSerializer(serializers.Serializer):
    model = serializers.CharField(allow_blank=True, help_text="Product model SKU; empty: every model.")
    lot = serializers.CharField(allow_blank=True)
    firmware = serializers.CharField(allow_blank=True)
    date_from = serializers.DateField(allow_null=True)
    date_to = serializers.DateField(allow_null=True)


class FreshnessSerializer(serializers.Serializer):
    """Where the figures were read and how old they are (``core.replica.Freshness``)."""

    read_from = serializers.ChoiceField(
        choices=["primary", "replica"], help_text="`replica` when a read replica served the report."
    )
    data_as_of = serializers.DateTimeField(help_text="The moment the figures describe: now less the replica's lag.")
    replica_lag_seconds = serializers.FloatField(help_text="How far the replica was behind the primary; 0 on it.")


class ReportSerializer(serializers.Serializer):
    report = serializers.CharField(help_text="The report's name.")
    filters = ReportFiltersSerializer()
    columns = serializers.ListField(child=serializers.CharField(), help_text="The rows' columns, as in the CSV.")
    freshness = FreshnessSerializer()


def _by(*choices: str) -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=list(choices), help_text="What the rows are grouped by.")


class ParetoRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Pattern or component code, or `(no pattern)`.")
    label = serializers.CharField(allow_blank=True)  # type: ignore[assignment]  # a field, not Field.label
    failures = serializers.IntegerField()
    share = serializers.FloatField()
    cumulative_share = serializers.FloatField()


class ParetoReportSerializer(ReportSerializer):
    rows = ParetoRowSerializer(many=True)
    by = _by("pattern", "component")
    total_failures = serializers.IntegerField()


class FailureRateRowSerializer(serializers.Serializer):
    model = serializers.CharField()
    lot = serializers.CharField(required=False, allow_blank=True, help_text="With `by=lot`.")
    firmware = serializers.CharField(required=False, allow_blank=True, help_text="With `by=firmware`.")
    units_in_service = serializers.IntegerField()
    failures = serializers.IntegerField()
    rate_per_1000 = serializers.FloatField()
    rate_low_per_1000 = serializers.FloatField(help_text="Low end of the exact Poisson interval (`level`).")
    rate_high_per_1000 = serializers.FloatField(help_text="High end of the exact Poisson interval (`level`).")
    unit_years = serializers.FloatField(help_text="Time in service of the row's units, from shipping (or `date_from`).")
    expected_failures = serializers.FloatField(
        help_text="Failures its unit-years would have at its model's rate per unit-year (models: the fleet's)."
    )
    ratio_to_model = serializers.FloatField(allow_null=True, help_text="Failures over expected failures.")
    ratio_to_model_low = serializers.FloatField(
        allow_null=True, help_text="Low end of the exact interval on that ratio: rows are ranked by it, highest first."
    )


class FailureRatesReportSerializer(ReportSerializer):
    rows = FailureRateRowSerializer(many=True)
    by = _by("model", "lot", "firmware")
    units_in_service = serializers.IntegerField()
    failures = serializers.IntegerField()
    rate_per_1000 = serializers.FloatField()
    level = serializers.FloatField(help_text="The intervals' confidence (0.9).")


class TrendRowSerializer(serializers.Serializer):
    week = serializers.DateField(help_text="The week's Monday.")
    pattern = serializers.CharField()
    failures = serializers.IntegerField()


class TrendReportSerializer(ReportSerializer):
    rows = TrendRowSerializer(many=True)
    patterns = serializers.ListField(child=serializers.CharField())


class LifeRowSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="Model SKU or component code.")
    units = serializers.IntegerField()
    failures = serializers.IntegerField()
    censored = serializers.IntegerField()
    beta = serializers.FloatField(allow_null=True, help_text="Weibull shape; null when there is no fit.")
    beta_low = serializers.FloatField(
        allow_null=True, help_text="Likelihood-ratio bounds (`level`), null without a fit."
    )
    beta_high = serializers.FloatField(allow_null=True)
    eta_days = serializers.FloatField(allow_null=True, help_text="Weibull scale in days.")
    eta_low_days = serializers.FloatField(allow_null=True)
    eta_high_days = serializers.FloatField(allow_null=True)
    b10_days = serializers.FloatField(allow_null=True)
    b10_low_days = serializers.FloatField(allow_null=True)
    b10_high_days = serializers.FloatField(allow_null=True)
    mean_life_days = serializers.FloatField(allow_null=True)
    note = serializers.CharField(allow_blank=True, help_text="Why there is no fit (too few failures), else empty.")


class LifePointSerializer(serializers.Serializer):
    key = serializers.CharField()
    age_days = serializers.FloatField()
    at_risk = serializers.IntegerField()
    failed = serializers.IntegerField()
    unreliability = serializers.FloatField(help_text="Kaplan–Meier estimate of the fraction failed by this age.")
    unreliability_low = serializers.FloatField(help_text="Greenwood band (`level`), low end.")
    unreliability_high = serializers.FloatField(help_text="Greenwood band (`level`), high end.")


class LifeReportSerializer(ReportSerializer):
    rows = LifeRowSerializer(many=True)
    by = _by("model", "component")
    view = serializers.ChoiceField(
        choices=["warranty", "field"],
        help_text="`warranty`: ages censored at each unit's warranty end (the default); `field`: to the as-of date.",
    )
    as_of = serializers.DateField()
    level = serializers.FloatField(help_text="The bounds' confidence (0.9).")
    min_failures = serializers.IntegerField(help_text="The fewest failures a Weibull fit is shown for.")
    points = LifePointSerializer(many=True)


class NoFaultFoundRowSerializer(serializers.Serializer):
    model = serializers.CharField()
    diagnosed = serializers.IntegerField()
    no_fault_found = serializers.IntegerField()
    rate = serializers.FloatField()


class NoFaultFoundReportSerializer(ReportSerializer):
    rows = NoFaultFoundRowSerializer(many=True)
    diagnosed = serializers.IntegerField()
    no_fault_found = serializers.IntegerField()
    rate = serializers.FloatField()


class RepeatsRowSerializer(serializers.Serializer):
    model = serializers.CharField()
    returns = serializers.IntegerField()
    repeats = serializers.IntegerField()
    rate = serializers.FloatField()


class RepeatsReportSerializer(ReportSerializer):
    rows = RepeatsRowSerializer(many=True)
    returns = serializers.IntegerField()
    repeats = serializers.IntegerField()
    rate = serializers.FloatField()


class GoodwillRowSerializer(serializers.Serializer):
    pattern = serializers.CharField()
    grants = serializers.IntegerField()


class CompensationTotalsSerializer(serializers.Serializer):
    approved = serializers.IntegerField()
    service_credit = serializers.DecimalField(max_digits=12, decimal_places=2)
    warranty_months = serializers.IntegerField()


class ReimbursementTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    approved = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)


class GoodwillReportSerializer(ReportSerializer):
    rows = GoodwillRowSerializer(many=True)
    grants = serializers.IntegerField()
    compensation = CompensationTotalsSerializer()
    reimbursements = ReimbursementTotalsSerializer(many=True, help_text="Service-programme reimbursements approved.")


class FaultSignalRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    cell = serializers.CharField()
    model = serializers.CharField()
    component = serializers.CharField()
    lot = serializers.CharField(allow_null=True, allow_blank=True, help_text="Null: every lot.")
    firmware = serializers.CharField(allow_null=True, allow_blank=True, help_text="Null: every firmware version.")
    observed = serializers.IntegerField()
    expected = serializers.FloatField()
    units_in_service = serializers.IntegerField()
    rate_ratio = serializers.FloatField()
    statistic = serializers.FloatField()
    threshold = serializers.FloatField()
    family_leader = serializers.IntegerField(allow_null=True, help_text="The id of the signal leading its family.")
    affected_customers = serializers.IntegerField()
    excess_to_date = serializers.FloatField()
    projected_excess = serializers.FloatField()
    projected_excess_low = serializers.FloatField(help_text="80 % interval, low end.")
    projected_excess_high = serializers.FloatField()
    first_detected_on = serializers.DateField()
    status = serializers.ChoiceField(choices=FaultSignal.Status.choices)


class SignalCountsSerializer(serializers.Serializer):
    """How many signals are in each status (``FaultSignal.Status``)."""

    open = serializers.IntegerField()
    acknowledged = serializers.IntegerField()
    linked = serializers.IntegerField()
    dismissed = serializers.IntegerField()


class FaultSignalsReportSerializer(ReportSerializer):
    rows = FaultSignalRowSerializer(many=True)
    by_status = SignalCountsSerializer()


SERIALIZERS: dict[str, type[ReportSerializer]] = {
    "pareto": ParetoReportSerializer,
    "failure-rates": FailureRatesReportSerializer,
    "trend": TrendReportSerializer,
    "life": LifeReportSerializer,
    "no-fault-found": NoFaultFoundReportSerializer,
    "repeats": RepeatsReportSerializer,
    "goodwill": GoodwillReportSerializer,
    "fault-signals": FaultSignalsReportSerializer,
}
