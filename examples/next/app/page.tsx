export default function Home() {
  return (
    <main>
      <h1>hallpass + Next.js</h1>
      <p>Sign in, look at your devices, try the admin page.</p>
    </main>
  )
}
