// The HTTP handler's whole logic, shared by the function and the benchmark's bare node:http server
// so that both serve exactly the same work.
module.exports = { pingBody: () => ({ ok: true }) };
