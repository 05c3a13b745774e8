/*
 * discovery_shim: avahi_entry_group_free for both avahi libraries in one
 * process (see node/discovery_shim.c for why). Includes no avahi header:
 * the shim's own definition of that name must not meet avahi-client's
 * declaration of it.
 */
#ifndef STOA_DISCOVERY_SHIM_H
#define STOA_DISCOVERY_SHIM_H

#define SHIM_CLIENT 1          /* avahi-client's groups can be freed */
#define SHIM_CORE 2            /* avahi-core's own calls reach core's */

/*
 * Finds both implementations from a function of each library (e.g.
 * avahi_client_new, avahi_server_new): SHIM_CLIENT if avahi-client's
 * groups can be freed, plus SHIM_CORE if avahi-core's own calls reach the
 * shim too (only then may an embedded stack run). Call it before any
 * avahi object exists.
 */
int discovery_shim_ready(void *client_fn, void *core_fn);
/* Marks server as an embedded stack that is running (1) or freed (0). */
void discovery_shim_server(void *server, int running);

#endif
