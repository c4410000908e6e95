// The outbound-destination guard is shared (common/net): identity's IdP fetches use it too.
export { DestinationPolicy, type DestinationRules } from '@airlock/common';
