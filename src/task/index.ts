/** task/: the task folder format (DESIGN 3.2): task.toml with AutoLab's tables and our [agentdyno] extensions, Harbor tasks as they are, what their Dockerfile sets up. Running tasks is loop/. */
export * from './task.js';
export * from './harbor.js';
export * from './dockerfile.js';
