"""``makemessages`` that also collects the customer sentences written with ``core.phrases.say``.

    python manage.py makemessages -l fr -l es -l pt_BR -l ar -i tests -i benchmarks -i .venv

(README "Adding a language").
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=say", "--keyword=say_plural:1,2"]
