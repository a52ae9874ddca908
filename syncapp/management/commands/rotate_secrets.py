from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from syncapp.crypto import EncryptedField


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret with the first key of SYNCAPP_ENCRYPTION_KEYS. "
        "Run it after prepending a new key; the old key can be removed once it has finished."
    )

    def handle(self, *args, **options) -> None:
        for model in apps.get_models():
            fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedField)]
            if not fields:
                continue
            rotated = 0
            with transaction.atomic():
                for row in model._base_manager.select_for_update().values("pk", *fields).iterator():
                    # Reading decrypts with whichever key fits; writing encrypts with the first key.
                    changes = {name: row[name] for name in fields if row[name] is not None}
                    if changes:
                        model._base_manager.filter(pk=row["pk"]).update(**changes)
                        rotated += 1
            self.stdout.write(f"{model._meta.label}: re-encrypted {rotated} row(s)")
