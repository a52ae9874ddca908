"""Talking to destinations on a user's behalf: the connection test."""

from destinations.adapters import DestinationError
from destinations.models import Destination
from models_catalog.services import ConnectionResult


def destination_test_connection(*, destination: Destination) -> ConnectionResult:
    """Log in to the destination (saved or not) and read; the message names what is wrong."""
    try:
        destination.adapter().test_connection()
    except DestinationError as exc:
        return ConnectionResult(False, exc.message)
    return ConnectionResult(True, f"Connected to {destination.adapter_class().label}.")
