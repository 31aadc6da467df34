// The manager's public data types, for the layers above it (features, adapters, integrations): they never reach into stores/.
export type {
  DeviceBinding,
  SessionData,
  SessionRecord,
  Store,
  StoreStats,
} from '../stores/types.ts'
