"""CRM sync: the local mirror of the portal's companies, contacts and program deals.

Events, full syncs, delta syncs and offline events all end in `sync.store`,
which upserts idempotently by (portal, entity type, Bitrix24 id).
"""

from b24app.sync.hooks import register

# The install flow and the scheduler read their registries when they run, so
# the sync's entries are added when the package is first imported (the model
# registry imports it with every app).
register()
