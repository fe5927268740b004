"""The choice of the OAuth token pair that an install or an app update stores.

An install request names an access token that app.info confirmed, and a refresh
token that nothing confirmed: a forged request may pair a valid access token
with any string. While the portal works with a stored pair, such a refresh token
must not replace it unless using it once at the OAuth server succeeds.
"""

import logging

from flask import current_app

from b24app.bitrix import BitrixError, HostNotAllowed, TokenPair
from b24app.bitrix.oauth import refresh_tokens
from b24app.portals.verify import VerifiedPortal
from b24app.tenancy.clients import host_policy, http_timeout, tls_verify
from b24app.tenancy.models import Portal, PortalState

log = logging.getLogger(__name__)
security_log = logging.getLogger("b24app.security")


def pair_to_store(
    portal: Portal | None, pair: TokenPair, verified: VerifiedPortal
) -> TokenPair | None:
    """Return the pair to write on the portal row, or None to keep the stored one.

    A new portal, or one that is not active, has no working pair to lose, so the
    request's pair is returned as it is. Otherwise the refresh token is proven by
    a refresh for the same member_id, and the refreshed pair is returned.
    """
    if portal is None or portal.state != PortalState.ACTIVE:
        return pair
    if not portal.refresh_token_encrypted:
        return pair

    config = current_app.config
    try:
        refreshed = refresh_tokens(
            server_endpoint=verified.server_endpoint,
            client_id=config["B24_CLIENT_ID"],
            client_secret=config["B24_CLIENT_SECRET"],
            refresh_token=pair.refresh_token,
            host_policy=host_policy(),
            timeout=http_timeout(),
            verify=tls_verify(),
        )
    except (BitrixError, HostNotAllowed) as error:
        reason = getattr(error, "code", "") or type(error).__name__
        security_log.warning(
            "portal %s: refresh token of the request not proven (%s); stored "
            "tokens kept",
            portal.id,
            reason,
        )
        return None

    if str(refreshed.member_id or "") != portal.member_id:
        security_log.warning(
            "portal %s: refresh token of the request belongs to another portal; "
            "stored tokens kept",
            portal.id,
        )
        return None
    return refreshed.pair
