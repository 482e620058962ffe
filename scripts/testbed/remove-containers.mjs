// Removes the containers named on the command line (force, with their volumes), through the
// same runtime testcontainers finds (DOCKER_HOST, ~/.testcontainers.properties, the usual
// sockets). Run synchronously by container-cleanup.ts at process exit, when no asynchronous
// work can run in the exiting process itself. Prints nothing; never fails.
import { getContainerRuntimeClient } from 'testcontainers';

const ids = process.argv.slice(2);
if (ids.length > 0) {
  try {
    const client = await getContainerRuntimeClient();
    await Promise.allSettled(ids.map((id) => client.container.getById(id).remove({ force: true, v: true })));
  } catch {
    // No runtime answers any more: nothing left to remove from here.
  }
}
