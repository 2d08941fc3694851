// `npm install` on an older Node: one line instead of npm's block of EBADENGINE warnings (.npmrc keeps
// npm to errors). This script itself runs on the pinned Node 24; npm's user agent names the Node
// that runs npm.
const agent = process.env.npm_config_user_agent ?? '';
const machine = /node\/v((\d+)[.\d]*)/.exec(agent);
if (machine && Number(machine[2]) < 24) {
	console.log(`ChatMai runs on Node 24, which npm installs into the project (the node devDependency): npm start, npm test and every npm run script use it. The Node ${machine[1]} here only runs npm.`);
}
