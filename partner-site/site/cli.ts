import { API_OPTIONS, apiCall, tokenOf, urlOf } from '../../common/cli/api.js';
import { defineCommands, print } from '../../common/cli/command.js';
import { PEER_OPTIONS, peerBody, printPeer, type PeerView } from '../../common/cli/peers.js';

/** The partner's one main site, against the partner's console API. */
export const siteCli = defineCommands("Main site (against a partner's API, --url is the partner):", [
  {
    name: 'main set',
    usage: '--id <id> --base-url <url> (--thumbprint <tp> | --jwk <file>)',
    options: { ...API_OPTIONS, ...PEER_OPTIONS },
    async run(flags, _args, io) {
      const p = await apiCall<PeerView>(urlOf(flags), tokenOf(flags), 'PUT', '/manage/api/main', peerBody(flags));
      print(flags, io, p, () => printPeer(io, p));
      return 0;
    },
  },
  {
    name: 'main show',
    options: API_OPTIONS,
    async run(flags, _args, io) {
      const p = await apiCall<PeerView>(urlOf(flags), tokenOf(flags), 'GET', '/manage/api/main');
      print(flags, io, p, () => printPeer(io, p));
      return 0;
    },
  },
]);
