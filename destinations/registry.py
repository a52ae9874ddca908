"""The destination kinds syncapp can write to: kind -> (label, dotted path of the adapter class).

Adding a destination is one package like netsuite/ and one line here. Adapter classes are imported
lazily, on first use, so that a kind's dependencies load only in processes that use it.
"""

from django.utils.module_loading import import_string

ADAPTERS: dict[str, tuple[str, str]] = {
    "netsuite": ("NetSuite", "netsuite.adapter.NetSuiteAdapter"),
}


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, label) for kind, (label, _path) in ADAPTERS.items()]


def adapter_class(kind: str):
    try:
        _label, path = ADAPTERS[kind]
    except KeyError:
        raise LookupError(
            f"There is no destination kind {kind!r}; known kinds: {', '.join(ADAPTERS)}"
        ) from None
    return import_string(path)
