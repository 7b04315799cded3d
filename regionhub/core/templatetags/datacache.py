"""`{% datacache "directory" "name" key ... %}…{% enddatacache %}`: cache a piece of a page.

For the parts of a page that are the same for every reader (tables of holders, the leadership
on a date) but sit inside a page that is not (signed-in pages with contact details and edit
links). The fragment is kept until the namespace's data changes, exactly like a cached page
(see regionhub.core.pagecache); it must not contain anything specific to the reader, such as
a CSRF token or an edit link.
"""

import hashlib

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.safestring import mark_safe

from regionhub.core.pagecache import data_version, local_pages

register = template.Library()


class DataCacheNode(template.Node):
    def __init__(self, nodelist, namespace, vary_on):
        self.nodelist = nodelist
        self.namespace = namespace
        self.vary_on = vary_on

    def render(self, context):
        if not getattr(settings, "PAGE_CACHE", False):
            return self.nodelist.render(context)
        namespace = self.namespace.resolve(context)
        parts = [str(v.resolve(context)) for v in self.vary_on]
        raw = "|".join([data_version(namespace), str(timezone.localdate()), *parts])
        key = "pagecache:fragment:" + hashlib.sha256(raw.encode()).hexdigest()
        body = local_pages.get(key)
        if body is None:
            body = self.nodelist.render(context).encode()
            local_pages.put(key, body)
        return mark_safe(body.decode())


@register.tag("datacache")
def do_datacache(parser, token):
    bits = token.split_contents()
    if len(bits) < 3:
        raise template.TemplateSyntaxError(
            '{% datacache "namespace" "fragment name" [vary on ...] %} needs a namespace and name'
        )
    nodelist = parser.parse(("enddatacache",))
    parser.delete_first_token()
    return DataCacheNode(
        nodelist, parser.compile_filter(bits[1]), [parser.compile_filter(b) for b in bits[2:]]
    )
