/** Task queue of the examples (shared by the worker and the client). */
export const TASK_QUEUE = 'btree-plugins-example';
