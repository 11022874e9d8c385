import pytest

from kpi.catalogue import Catalogue
from services.catalogue_file import DEFAULT_CATALOGUE, load_catalogue


@pytest.fixture(scope="session")
def kontum() -> Catalogue:
    return load_catalogue(DEFAULT_CATALOGUE)[0]
