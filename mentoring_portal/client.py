"""Where a request comes from: one answer for django-axes, the login throttle and the access log."""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address for django-axes and the access log: ``CLIENT_IP_HEADER`` behind nginx,
    else REMOTE_ADDR; None when what arrives is not an address.

    Only set CLIENT_IP_HEADER behind a proxy that sets that header itself (nginx's
    ``proxy_set_header X-Real-IP $remote_addr``): otherwise a client chooses its own address.
    """
    header = settings.CLIENT_IP_HEADER
    value = ""
    if header:
        value = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        # nginx's $proxy_add_x_forwarded_for appends the address it saw to whatever the client sent:
        # the last entry is the one to trust (one proxy in front), the first may be forged.
        value = value.split(",")[-1].strip()
    value = value or request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
