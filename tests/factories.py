import factory

from destinations.models import Destination
from models_catalog.models import Model, Source, SourceKind
from syncapp.models import Membership, Role, User, Workspace
from syncs.models import Folder, Label, RunTrigger, Sync, SyncRun

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace
        django_get_or_create = ["slug"]

    name = factory.Sequence(lambda n: f"Workspace {n}")
    slug = factory.Sequence(lambda n: f"workspace-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    workspace = factory.SubFactory(WorkspaceFactory)
    role = Role.ADMIN


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Warehouse {n}")
    kind = SourceKind.POSTGRESQL
    host = "warehouse.internal"
    port = 5432
    database = "analytics"
    username = "reader"
    password = "source-password-do-not-leak"


class ModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Model

    workspace = factory.SubFactory(WorkspaceFactory)
    source = factory.SubFactory(SourceFactory, workspace=factory.SelfAttribute("..workspace"))
    name = factory.Sequence(lambda n: f"Model {n}")
    slug = factory.Sequence(lambda n: f"model-{n}")
    sql = "SELECT * FROM customers"
    primary_key = "id"


class DestinationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Destination

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"NetSuite {n}")
    kind = "netsuite"
    config = factory.LazyFunction(lambda: {"account_id": "1234567_SB1"})
    credentials = factory.LazyFunction(
        lambda: (
            '{"consumer_key": "ck-do-not-leak", "consumer_secret": "cs-do-not-leak", '
            '"token_id": "tk-do-not-leak", "token_secret": "ts-do-not-leak"}'
        )
    )


class FolderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Folder

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Folder {n}")


class LabelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Label

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"label-{n}")
    colour = "#2563eb"


class SyncFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sync

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Sync {n}")
    slug = factory.Sequence(lambda n: f"sync-{n}")
    model = factory.SubFactory(ModelFactory, workspace=factory.SelfAttribute("..workspace"))
    destination = factory.SubFactory(DestinationFactory, workspace=factory.SelfAttribute("..workspace"))
    config = factory.LazyFunction(
        lambda: {"object": "customer", "mode": "upsert", "mappings": [{"from": "name", "to": "companyName"}]}
    )


class SyncRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SyncRun

    sync = factory.SubFactory(SyncFactory)
    trigger = RunTrigger.MANUAL
