"""Real app servers for tests that need several of them: gunicorn processes over loopback HTTP.

Use it from a test module:

    @pytest.fixture
    def app_servers(transactional_db, tmp_path):
        with AppServers(workdir=tmp_path) as servers:
            yield servers

    def test_it_...(app_servers):
        first, second = app_servers.start(2)
        client = LiveClient(first)

The servers run settings.prod (see server_settings.py) against the test database of this run, so
what a test creates with the ORM (inside transactional_db, so it is committed) they can see.
`Nginx(servers, workdir=tmp_path)` puts Debian's nginx in front of them, configured as docs/deploy.md says.
"""

from .client import LiveClient, csrf_token, sign_in_all_at_once
from .nginx import Nginx
from .servers import AppServer, AppServers, database_url

__all__ = ["AppServer", "AppServers", "LiveClient", "Nginx", "csrf_token", "database_url", "sign_in_all_at_once"]
